"""Analytics reads the other apps' data; its own models (CSAT surveys, predictions) come with the dashboards."""
