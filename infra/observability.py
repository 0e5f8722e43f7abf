"""Observability: alarms that reach someone, and a dashboard of the agent funnel.

Alarms (all notify one SNS topic; email subscription when ``alarmEmail`` is set):
- integrity violations: the kill switch logs ``kill_reason = INTEGRITY_VIOLATION``
  in the download function; a metric filter turns each into one
  ``Edgex/IntegrityViolation`` data point, and any data point alarms;
- API 5xx and 4xx rates (HTTP APIs count stage throttling, 429, among 4xx);
- Lambda errors (crashes, timeouts, init failures: handled errors are 4xx/5xx
  responses) summed over every function;
- agent function throttles: machines are being turned away;
- DynamoDB read/write throttle events summed over every table.

The topic carries a TLS-only policy; once a topic has a policy, CloudWatch may
publish only if a statement allows it, so one does, for alarms of this account.

Dashboard: per-minute agent requests by route (enrollments, installer and script
downloads, feedback posts) and refusals, from metric filters on the one
``request`` log line every handler writes, plus latency of the API and of the
agent functions. No tracing: the functions run without X-Ray (infra/functions.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import constants as c
from infra.config import EdgexConfig
from infra.nag import acknowledge

SERVER_ERROR_RATE_PERCENT = 5
# Agents retry refused calls and an expired or cancelled deployment answers 4xx by
# design; a quarter of all requests refused is no longer that.
CLIENT_ERROR_RATE_PERCENT = 25
# Rates over fewer requests than this say nothing (one 404 of four requests is 25%).
RATE_MIN_REQUESTS = 20
# A CloudWatch alarm on metric math may use at most 10 metrics.
_ALARM_METRICS = 10
_PERIOD = Duration.minutes(5)
_MINUTE = Duration.minutes(1)


def integrity_filter_pattern() -> logs.IFilterPattern:
    """``{ $.kill_reason = "INTEGRITY_VIOLATION" }`` on the JSON log lines."""
    return logs.FilterPattern.string_value(f"$.{c.INTEGRITY_LOG_FIELD}", "=", c.INTEGRITY_LOG_VALUE)


def request_filter_pattern(*, failed: bool) -> logs.IFilterPattern:
    """The handlers' ``request`` log line, answered below 400 or (``failed``) from 400 up."""
    return logs.FilterPattern.all(
        logs.FilterPattern.string_value("$.message", "=", c.REQUEST_LOG_MESSAGE),
        logs.FilterPattern.number_value("$.status", ">=" if failed else "<", 400),
    )


def _chunks(items: Sequence[cloudwatch.IMetric], size: int) -> Iterable[Sequence[cloudwatch.IMetric]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Observability(Construct):
    """Metric filters, alarms, the alarm topic and the CloudWatch dashboard."""

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
        tables: Mapping[str, dynamodb.ITable],
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="Edgex alarms", enforce_ssl=True)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        acknowledge(
            self.topic,
            {
                "AwsSolutions-SNS2": "Alarm notifications carry no data beyond the alarm name; CloudWatch cannot publish "
                "to a topic encrypted with the AWS-managed SNS key, and a customer key would cost more than it protects.",
            },
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []

        self.integrity_metric = logs.MetricFilter(
            self,
            "IntegrityViolations",
            log_group=log_groups[c.INTEGRITY_HANDLER],
            filter_pattern=integrity_filter_pattern(),
            metric_namespace=c.METRICS_NAMESPACE,
            metric_name=c.INTEGRITY_METRIC,
            metric_value="1",
        ).metric(statistic="Sum", period=_MINUTE)
        self._alarm(
            "IntegrityViolationAlarm",
            self.integrity_metric,
            "A script object no longer matched its pinned SHA-256: the deployment was killed.",
            threshold=1,
        )
        self.payload_mismatch_metric = logs.MetricFilter(
            self,
            "PayloadMismatches",
            log_group=log_groups[c.PAYLOAD_MISMATCH_HANDLER],
            filter_pattern=logs.FilterPattern.string_value(
                f"$.{c.PAYLOAD_MISMATCH_LOG_FIELD}", "=", c.PAYLOAD_MISMATCH_LOG_VALUE
            ),
            metric_namespace=c.METRICS_NAMESPACE,
            metric_name=c.PAYLOAD_MISMATCH_METRIC,
            metric_value="1",
        ).metric(statistic="Sum", period=_MINUTE)
        self._alarm(
            "PayloadMismatchAlarm",
            self.payload_mismatch_metric,
            "A machine received a payload whose SHA-256 is not the deployment's: something between the API and "
            "the machine changed it (nothing ran there).",
            threshold=1,
        )
        self._api_rate_alarms(http_api)
        self._sum_alarms(
            "LambdaErrors",
            [fn.metric_errors(statistic="Sum", period=_PERIOD) for fn in functions.values()],
            "A function crashed, timed out or failed to start (handled errors are API responses, not these).",
        )
        for name in agent_functions:
            self._alarm(
                f"Throttles-{name}",
                functions[name].metric_throttles(statistic="Sum", period=_PERIOD),
                f"{name} was throttled (agentConcurrency or the account limit): agent machines are being turned away.",
                threshold=1,
            )
        self._sum_alarms(
            "DynamoDbThrottles",
            [
                table.metric(name, statistic="Sum", period=_PERIOD)
                for table in tables.values()
                for name in ("ReadThrottleEvents", "WriteThrottleEvents")
            ],
            "DynamoDB throttled reads or writes of an Edgex table: requests failed or slowed down.",
        )
        action = actions.SnsAction(self.topic)
        for alarm in self.alarms:
            alarm.add_alarm_action(action)
        self.dashboard = self._dashboard(config, http_api, functions, log_groups, agent_functions)

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
    ) -> cloudwatch.Alarm:
        alarm = metric.create_alarm(
            self,
            construct_id,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarms.append(alarm)
        return alarm

    def _api_rate_alarms(self, http_api: apigwv2.HttpApi) -> None:
        requests = http_api.metric_count(statistic="Sum", period=_PERIOD)
        for construct_id, errors, label, percent in (
            (
                "Api5xxRateAlarm",
                http_api.metric_server_error(statistic="Sum", period=_PERIOD),
                "5xx",
                SERVER_ERROR_RATE_PERCENT,
            ),
            (
                "Api4xxRateAlarm",
                http_api.metric_client_error(statistic="Sum", period=_PERIOD),
                "4xx (429 included)",
                CLIENT_ERROR_RATE_PERCENT,
            ),
        ):
            rate = cloudwatch.MathExpression(
                expression=f"IF(requests >= {RATE_MIN_REQUESTS}, 100 * errors / requests, 0)",
                using_metrics={"errors": errors, "requests": requests},
                label=f"API {label} rate (%)",
                period=_PERIOD,
            )
            self._alarm(
                construct_id,
                rate,
                f"More than {percent}% of API requests answered {label} (two of three 5-minute periods).",
                threshold=percent,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=3,
                datapoints_to_alarm=2,
            )

    def _sum_alarms(self, construct_id: str, metrics: Sequence[cloudwatch.IMetric], description: str) -> None:
        """Alarm when the sum of ``metrics`` is 1 or more, ten metrics per alarm (CloudWatch's limit)."""
        for number, chunk in enumerate(_chunks(metrics, _ALARM_METRICS), start=1):
            names = {f"m{i}": metric for i, metric in enumerate(chunk)}
            total = cloudwatch.MathExpression(
                expression=f"SUM([{', '.join(names)}])", using_metrics=names, label=construct_id, period=_PERIOD
            )
            self._alarm(f"{construct_id}{number}", total, description, threshold=1)

    def _request_metric(self, log_group: logs.ILogGroup, route: str, *, failed: bool) -> cloudwatch.Metric:
        name = c.AGENT_FAILED_METRIC if failed else c.AGENT_OK_METRIC
        logs.MetricFilter(
            self,
            f"{name}-{route}",
            log_group=log_group,
            filter_pattern=request_filter_pattern(failed=failed),
            metric_namespace=c.METRICS_NAMESPACE,
            metric_name=name,
            metric_value="1",
            dimensions={"Route": "$.route"},
        )
        return cloudwatch.Metric(
            namespace=c.METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"Route": route},
            statistic="Sum",
            period=_MINUTE,
            label=route,
        )

    def _dashboard(
        self,
        config: EdgexConfig,
        http_api: apigwv2.HttpApi,
        functions: Mapping[str, lambda_.IFunction],
        log_groups: Mapping[str, logs.ILogGroup],
        agent_functions: tuple[str, ...],
    ) -> cloudwatch.Dashboard:
        ok = [self._request_metric(log_groups[name], name, failed=False) for name in agent_functions]
        failed = [self._request_metric(log_groups[name], name, failed=True) for name in agent_functions]
        # CloudWatch dashboard names are global to the account: the region keeps two
        # installations of one stack name apart.
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{config.stack_name}-{Stack.of(self).region}-agents",
            default_interval=Duration.hours(3),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Agent requests answered per minute (installer, enroll, download, feedback)",
                left=ok,
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Agent requests refused or failed per minute (status >= 400)", left=failed, width=12
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API latency (ms)",
                left=[
                    http_api.metric_latency(statistic=s, period=_MINUTE, label=f"API {s}")
                    for s in ("p50", "p95", "p99")
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Agent function duration p95 (ms)",
                left=[functions[n].metric_duration(statistic="p95", period=_MINUTE, label=n) for n in agent_functions],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )
        return dashboard
