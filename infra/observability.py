"""Observability: the integrity-violation metric and the alarms worth waking up for.

- Integrity violations: the kill switch logs ``kill_reason = INTEGRITY_VIOLATION``
  (a structured powertools log line) in the download function; a metric filter
  turns each into one ``Edgex/IntegrityViolation`` data point, and any data point
  alarms: someone changed a pinned script object behind the platform's back.
- API 5xx rate: server errors over requests on the HTTP API.
- Throttles: an agent function throttled means machines fail to run scripts.

Alarms notify one SNS topic (email subscription when ``alarmEmail`` is set).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import constants as c
from infra.config import EdgexConfig
from infra.nag import acknowledge

SERVER_ERROR_RATE_PERCENT = 5


def integrity_filter_pattern() -> logs.IFilterPattern:
    """``{ $.kill_reason = "INTEGRITY_VIOLATION" }`` on the JSON log lines."""
    return logs.FilterPattern.string_value(f"$.{c.INTEGRITY_LOG_FIELD}", "=", c.INTEGRITY_LOG_VALUE)


class Observability(Construct):
    """Metric filter, alarms and the alarm topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EdgexConfig,
        http_api: apigwv2.HttpApi,
        functions: Mapping[str, lambda_.IFunction],
        log_groups: Mapping[str, logs.ILogGroup],
        agent_functions: tuple[str, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="Edgex alarms", enforce_ssl=True)
        acknowledge(
            self.topic,
            {
                "AwsSolutions-SNS2": "Alarm notifications carry no data beyond the alarm name; CloudWatch cannot publish "
                "to a topic encrypted with the AWS-managed SNS key, and a customer key would cost more than it protects.",
            },
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = actions.SnsAction(self.topic)

        self.integrity_metric = logs.MetricFilter(
            self,
            "IntegrityViolations",
            log_group=log_groups[c.INTEGRITY_HANDLER],
            filter_pattern=integrity_filter_pattern(),
            metric_namespace=c.METRICS_NAMESPACE,
            metric_name=c.INTEGRITY_METRIC,
            metric_value="1",
        ).metric(statistic="Sum", period=Duration.minutes(1))
        self.alarms: list[cloudwatch.Alarm] = [
            self.integrity_metric.create_alarm(
                self,
                "IntegrityViolationAlarm",
                alarm_description="A script object no longer matched its pinned SHA-256: the deployment was killed.",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.MathExpression(
                expression="IF(requests > 0, 100 * errors / requests, 0)",
                using_metrics={
                    "errors": http_api.metric_server_error(statistic="Sum", period=Duration.minutes(5)),
                    "requests": http_api.metric_count(statistic="Sum", period=Duration.minutes(5)),
                },
                label="API 5xx rate (%)",
                period=Duration.minutes(5),
            ).create_alarm(
                self,
                "Api5xxRateAlarm",
                alarm_description=f"More than {SERVER_ERROR_RATE_PERCENT}% of API requests failed with a 5xx.",
                threshold=SERVER_ERROR_RATE_PERCENT,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        ]
        for name in agent_functions:
            self.alarms.append(
                functions[name]
                .metric_throttles(statistic="Sum", period=Duration.minutes(5))
                .create_alarm(
                    self,
                    f"Throttles-{name}",
                    alarm_description=f"{name} was throttled: agent machines are being turned away.",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        for alarm in self.alarms:
            alarm.add_alarm_action(action)
