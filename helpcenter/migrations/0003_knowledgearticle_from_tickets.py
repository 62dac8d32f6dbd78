"""Knowledge articles move from tickets to the help centre: state only, the table keeps its name.

The content type follows in this same migration (before any later ``sync_roles`` could create
a second one), so permissions and admin history stay attached; tickets 0013 then re-points
``Ticket.auto_reply_article`` and drops the model from tickets' state.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="tickets", target="helpcenter"):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label=target, model="knowledgearticle").exists():
        content_type.objects.filter(app_label=source, model="knowledgearticle").update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="helpcenter", target="tickets")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('helpcenter', '0002_roles'),
        ('tickets', '0012_interaction_signals'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.CreateModel(
                name='KnowledgeArticle',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('title', models.CharField(max_length=200)),
                    ('slug', models.SlugField(max_length=200, unique=True)),
                    ('body', models.TextField(help_text='Markdown (rendered to sanitised HTML in the help centre).')),
                    ('is_published', models.BooleanField(default=True, help_text='Drafts are hidden from customers and never suggested.')),
                    ('helpful_count', models.PositiveIntegerField(default=0)),
                    ('not_helpful_count', models.PositiveIntegerField(default=0)),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='articles', to='tickets.category')),
                ],
                options={
                    'db_table': 'tickets_knowledgearticle',
                    'ordering': ['title'],
                    'indexes': [models.Index(fields=['is_published', 'category'], name='article_published_idx')],
                },
            ),
            migrations.AlterField(
                model_name='articlevote',
                name='article',
                field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='helpcenter.knowledgearticle'),
            ),
            migrations.AlterField(
                model_name='deflection',
                name='article',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deflections', to='helpcenter.knowledgearticle'),
            ),
            ],
        ),
        migrations.RunPython(move_content_type, reverse_code=move_content_type_back),
    ]
