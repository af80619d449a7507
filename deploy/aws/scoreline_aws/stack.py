"""One stack for scoreline on AWS: network, bucket, database, image registry, API, MLflow and MWAA.

Each service gets its own IAM role granted only what it uses: the MLflow server reads and writes
``mlflow/*`` in the bucket, MWAA reads ``dags/*`` and ``requirements/*`` and reads and writes the landing zone
(``football-data/*``) and the outputs (``outputs/*``), the API reaches models through the MLflow server only.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_mwaa as mwaa
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

IMAGE_TAG = "0.1.0"
DB_USER = "scoreline"
API_PORT = 8000
MLFLOW_PORT = 5000
MWAA_ENVIRONMENT = "scoreline"
MWAA_AIRFLOW_VERSION = "3.0.6"
# The container's shell builds the database URL from the secret's fields, which ECS injects one by one.
DB_URL = "postgresql+psycopg://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT"


class ScorelineStack(cdk.Stack):
    """The whole deployment; ``image_tag`` is the tag pushed to the stack's ECR repository."""

    def __init__(
        self, scope: Construct, construct_id: str, image_tag: str = IMAGE_TAG, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,  # one NAT gateway: about a third of the cost of one per zone
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                ),
            ],
        )
        self.bucket = self._bucket()
        self.database = self._database()
        self.repository = ecr.Repository(
            self,
            "Images",
            image_scan_on_push=True,
            lifecycle_rules=[ecr.LifecycleRule(max_image_count=20)],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        cluster = ecs.Cluster(
            self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        image = ecs.ContainerImage.from_ecr_repository(self.repository, image_tag)
        self.mlflow = self._mlflow_service(cluster, image)
        self.api = self._api_service(cluster, image)
        self.airflow = self._mwaa()
        for name, value in {
            "BucketName": self.bucket.bucket_name,
            "RepositoryUri": self.repository.repository_uri,
            "DatabaseSecretArn": self.database.secret.secret_arn if self.database.secret else "",
            "ApiUrl": f"http://{self.api.load_balancer.load_balancer_dns_name}",
            "MlflowUrl": f"http://{self.mlflow.load_balancer.load_balancer_dns_name}",
            "AirflowUrl": f"https://{self.airflow.attr_webserver_url}",
        }.items():
            cdk.CfnOutput(self, name, value=value)

    def _bucket(self) -> s3.Bucket:
        """Landing zone (``football-data/``), outputs, MLflow artefacts and MWAA's DAGs: one bucket."""
        return s3.Bucket(
            self,
            "Bucket",
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=cdk.Duration.days(90),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _database(self) -> rds.DatabaseInstance:
        """PostgreSQL 15 for the store (``scoreline``) and MLflow (``mlflow``); the password lives in Secrets
        Manager only. (MWAA keeps Airflow's metadata in its own managed database.)"""
        return rds.DatabaseInstance(
            self,
            "Database",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_15_15),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.SMALL),
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            credentials=rds.Credentials.from_generated_secret(DB_USER),
            database_name="scoreline",
            allocated_storage=20,
            max_allocated_storage=100,
            storage_encrypted=True,
            backup_retention=cdk.Duration.days(7),
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )

    def _container_secrets(self) -> dict[str, ecs.Secret]:
        secret = self.database.secret
        assert secret is not None
        return {
            "DB_USER": ecs.Secret.from_secrets_manager(secret, "username"),
            "DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password"),
            "DB_HOST": ecs.Secret.from_secrets_manager(secret, "host"),
            "DB_PORT": ecs.Secret.from_secrets_manager(secret, "port"),
        }

    def _mlflow_service(
        self, cluster: ecs.Cluster, image: ecs.ContainerImage
    ) -> ecs_patterns.ApplicationLoadBalancedFargateService:
        """The tracking server behind an internal load balancer; artefacts proxied to ``s3://bucket/mlflow``."""
        command = (
            f"exec mlflow server --host 0.0.0.0 --port {MLFLOW_PORT}"
            f' --backend-store-uri "{DB_URL}/mlflow"'
            f" --artifacts-destination s3://{self.bucket.bucket_name}/mlflow --serve-artifacts"
        )
        service = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Mlflow",
            cluster=cluster,
            cpu=512,
            memory_limit_mib=1024,
            desired_count=1,
            min_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            public_load_balancer=False,
            task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                image=image,
                container_port=MLFLOW_PORT,
                entry_point=["sh", "-c"],
                command=[command],
                secrets=self._container_secrets(),
                log_driver=ecs.LogDrivers.aws_logs(
                    stream_prefix="mlflow", log_retention=logs.RetentionDays.ONE_MONTH
                ),
            ),
        )
        service.target_group.configure_health_check(path="/health")
        self.bucket.grant_read_write(service.task_definition.task_role, "mlflow/*")
        self.database.connections.allow_default_port_from(service.service, "MLflow to PostgreSQL")
        return service

    def _api_service(
        self, cluster: ecs.Cluster, image: ecs.ContainerImage
    ) -> ecs_patterns.ApplicationLoadBalancedFargateService:
        """``scoreline serve`` behind a public load balancer whose health check is ``/ready``."""
        api_key = secretsmanager.Secret(
            self,
            "ApiKey",
            description="scoreline API admin key (X-API-Key)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
        )
        command = (
            f'export SCORELINE_DB_URL="{DB_URL}/scoreline";'
            f" exec scoreline serve --host 0.0.0.0 --port {API_PORT}"
        )
        service = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Api",
            cluster=cluster,
            cpu=512,
            memory_limit_mib=2048,
            desired_count=2,
            min_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            public_load_balancer=True,
            task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                image=image,
                container_port=API_PORT,
                entry_point=["sh", "-c"],
                command=[command],
                environment={
                    "SCORELINE_ENV": "production",
                    "SCORELINE_HOME": "/data/scoreline",
                    "SCORELINE_MLFLOW_URI": f"http://{self.mlflow.load_balancer.load_balancer_dns_name}",
                },
                secrets={
                    **self._container_secrets(),
                    "SCORELINE_API_KEY": ecs.Secret.from_secrets_manager(api_key),
                },
                log_driver=ecs.LogDrivers.aws_logs(
                    stream_prefix="api", log_retention=logs.RetentionDays.ONE_MONTH
                ),
            ),
        )
        service.target_group.configure_health_check(path="/ready", healthy_http_codes="200")
        self.database.connections.allow_default_port_from(service.service, "API to PostgreSQL")
        self.mlflow.load_balancer.connections.allow_from(service.service, ec2.Port.tcp(80), "API to MLflow")
        return service

    def _mwaa(self) -> mwaa.CfnEnvironment:
        """Managed Airflow: DAGs from ``s3://bucket/dags``, requirements from ``requirements/``."""
        role = iam.Role(
            self,
            "AirflowRole",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("airflow.amazonaws.com"),
                iam.ServicePrincipal("airflow-env.amazonaws.com"),
            ),
            description="MWAA execution role: its bucket prefixes, its logs and queue, the database secret",
        )
        self.bucket.grant_read(role, "dags/*")
        self.bucket.grant_read(role, "requirements/*")
        self.bucket.grant_read_write(role, "football-data/*")
        self.bucket.grant_read_write(role, "outputs/*")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:GetBucketPublicAccessBlock", "s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:GetLogRecord",
                    "logs:GetLogGroupFields",
                    "logs:GetQueryResults",
                ],
                resources=[
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"airflow-{MWAA_ENVIRONMENT}-*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["cloudwatch:PutMetricData"], resources=["*"]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                    "sqs:SendMessage",
                ],
                resources=[self.format_arn(service="sqs", account="*", resource="airflow-celery-*")],
            )
        )
        if self.database.secret is not None:
            self.database.secret.grant_read(role)
        security_group = ec2.SecurityGroup(self, "AirflowSecurityGroup", vpc=self.vpc, description="MWAA")
        security_group.add_ingress_rule(security_group, ec2.Port.all_traffic(), "MWAA components")
        self.database.connections.allow_default_port_from(security_group, "Airflow tasks to PostgreSQL")
        self.mlflow.load_balancer.connections.allow_from(
            security_group, ec2.Port.tcp(80), "Airflow to MLflow"
        )
        logging = mwaa.CfnEnvironment.ModuleLoggingConfigurationProperty(enabled=True, log_level="INFO")
        environment = mwaa.CfnEnvironment(
            self,
            "Airflow",
            name=MWAA_ENVIRONMENT,
            airflow_version=MWAA_AIRFLOW_VERSION,
            environment_class="mw1.small",
            max_workers=2,
            source_bucket_arn=self.bucket.bucket_arn,
            dag_s3_path="dags",
            requirements_s3_path="requirements/requirements.txt",
            execution_role_arn=role.role_arn,
            webserver_access_mode="PUBLIC_ONLY",
            airflow_configuration_options={
                "core.load_examples": "False",
            },
            network_configuration=mwaa.CfnEnvironment.NetworkConfigurationProperty(
                security_group_ids=[security_group.security_group_id],
                subnet_ids=self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids,
            ),
            logging_configuration=mwaa.CfnEnvironment.LoggingConfigurationProperty(
                dag_processing_logs=logging,
                scheduler_logs=logging,
                task_logs=logging,
                webserver_logs=mwaa.CfnEnvironment.ModuleLoggingConfigurationProperty(
                    enabled=True, log_level="WARNING"
                ),
                worker_logs=logging,
            ),
        )
        return environment
