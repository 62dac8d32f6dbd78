"""Knowledge articles now belong to the help centre (helpcenter 0003): state only, the table and its rows stay.

``Ticket.auto_reply_article`` points at the help centre's model (same table, same column);
the content type already moved in helpcenter 0003.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('helpcenter', '0003_knowledgearticle_from_tickets'),
        ('tickets', '0012_interaction_signals'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.AlterField(
                model_name='ticket',
                name='auto_reply_article',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='helpcenter.knowledgearticle'),
            ),
            migrations.DeleteModel(
                name='KnowledgeArticle',
            ),
            ],
        ),
    ]
