"""Business calendars move from the escalation engine to the platform: state only, the tables keep their names."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('foundation', '0001_heartbeat_from_engine'),
        ('escalation', '0014_satisfactionmodel'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.CreateModel(
                name='BusinessCalendar',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=120, unique=True)),
                    ('time_zone', models.CharField(default='UTC', max_length=64)),
                    ('is_24x7', models.BooleanField(default=False, verbose_name='open 24×7')),
                    ('is_default', models.BooleanField(default=False, help_text="Used by SLA policies without a calendar, and by routing's business-hours condition.")),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                ],
                options={
                    'db_table': 'escalation_businesscalendar',
                    'ordering': ['name'],
                    'constraints': [models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='calendar_one_default')],
                },
            ),
            migrations.CreateModel(
                name='BusinessHours',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')])),
                    ('opens_at', models.TimeField()),
                    ('closes_at', models.TimeField()),
                    ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hours', to='foundation.businesscalendar')),
                ],
                options={
                    'verbose_name_plural': 'business hours',
                    'db_table': 'escalation_businesshours',
                    'ordering': ['calendar', 'weekday', 'opens_at'],
                    'constraints': [models.CheckConstraint(condition=models.Q(('weekday__lte', 6)), name='businesshours_weekday_valid', violation_error_message='Unknown weekday.'), models.CheckConstraint(condition=models.Q(('closes_at__gt', models.F('opens_at')), ('closes_at', '00:00'), _connector='OR'), name='businesshours_closes_after_opening', violation_error_message='Closing time must be after opening time (00:00 means midnight).')],
                },
            ),
            migrations.CreateModel(
                name='Holiday',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('date', models.DateField()),
                    ('name', models.CharField(blank=True, max_length=120)),
                    ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='holidays', to='foundation.businesscalendar')),
                ],
                options={
                    'db_table': 'escalation_holiday',
                    'ordering': ['calendar', 'date'],
                    'constraints': [models.UniqueConstraint(fields=('calendar', 'date'), name='holiday_calendar_date_unique')],
                },
            ),
            ],
        ),
    ]
