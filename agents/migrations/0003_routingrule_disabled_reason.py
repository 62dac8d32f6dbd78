"""Routing rules' patterns now run on RE2: a stored pattern it cannot run switches its rule off, with the reason."""

from django.db import migrations, models


def disable_unusable_patterns(apps, schema_editor):
    from foundation.patterns import pattern_problem

    RoutingRule = apps.get_model("agents", "RoutingRule")
    for rule in RoutingRule.objects.exclude(keyword_pattern="").only("id", "keyword_pattern", "enabled"):
        problem = pattern_problem(rule.keyword_pattern)
        if problem:
            RoutingRule.objects.filter(pk=rule.pk).update(
                enabled=False, disabled_reason=f"Switched off by the upgrade to RE2: {problem}"[:500]
            )


class Migration(migrations.Migration):
    dependencies = [("agents", "0002_agent_last_assigned_at_agent_performance_score_and_more")]

    operations = [
        migrations.AddField(
            model_name="routingrule",
            name="disabled_reason",
            field=models.CharField(
                blank=True, editable=False, help_text="Why the desk switched this rule off (an unusable stored pattern).", max_length=500
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="keyword_pattern",
            field=models.CharField(
                blank=True,
                help_text="Case-insensitive regular expression (RE2 syntax: no backreferences or look-around; \\w and \\b are ASCII) "
                "searched in the subject and the first 20,000 characters of the body, e.g. refund|chargeback",
                max_length=500,
            ),
        ),
        migrations.RunPython(disable_unusable_patterns, migrations.RunPython.noop),
    ]
