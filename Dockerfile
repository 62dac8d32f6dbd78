FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY . .
ENV VAR_DIR=/app/var
EXPOSE 8000
CMD ["gunicorn", "escalation.wsgi", "--bind", "0.0.0.0:8000"]
