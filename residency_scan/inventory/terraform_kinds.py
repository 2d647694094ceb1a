"""What a Terraform resource type *is* for the rules: which provider locates it, and which asset kind it is.

Rules apply by asset kind (the decree pack checks data stores, servers, backups, networks and SaaS under one
rule, management tools and admin interfaces under another), so a plan's resource types are mapped to kinds
here, in tables rather than code, so that a reviewer can check one line per type.

Lookup order: `KIND_BY_TYPE` (exact type), then `KIND_BY_PREFIX` (longest prefix first), then **server**. A
type missing from the tables is still checked — as a server, whose rule is the strictest — never skipped.

`AWS_GLOBAL_PREFIXES` lists the AWS services AWS documents as global (IAM, CloudFront, Route 53, Organizations,
Global Accelerator, WAF Classic, Shield, Budgets, Cost Explorer, Account Management). Their resources have no
region: the provider configuration's region is where the API call goes, not where the resource is, so giving
them that region would be a false location. They are located as "global" (an unknown with that reason).
"""

from __future__ import annotations

from residency_scan.models import AssetKind

#: Registry hosts whose `hashicorp/<type>` providers are the official ones (Terraform's and OpenTofu's).
REGISTRY_HOSTS = ("registry.terraform.io", "registry.opentofu.org")

#: Provider source (namespace/type) → the `cloud.provider` key of the shipped region table.
CLOUD_PROVIDERS = {
    "hashicorp/aws": "aws",
    "hashicorp/azurerm": "azure",
    "hashicorp/google": "gcp",
    "hashicorp/google-beta": "gcp",
}

_DATA_STORE = AssetKind.DATA_STORE
_SERVER = AssetKind.SERVER
_BACKUP = AssetKind.BACKUP
_MANAGEMENT = AssetKind.MANAGEMENT_TOOL
_ADMIN = AssetKind.ADMIN_INTERFACE
_NETWORK = AssetKind.NETWORK

KIND_BY_TYPE: dict[str, AssetKind] = {
    # ---- data stores: where data is kept (storage, databases, queues, secrets, registries)
    **dict.fromkeys((
        "aws_s3_bucket", "aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_dynamodb_table",
        "aws_efs_file_system", "aws_ebs_volume", "aws_elasticache_cluster", "aws_elasticache_replication_group",
        "aws_elasticache_serverless_cache", "aws_memorydb_cluster", "aws_redshift_cluster",
        "aws_redshiftserverless_namespace", "aws_docdb_cluster", "aws_docdb_cluster_instance",
        "aws_neptune_cluster", "aws_opensearch_domain", "aws_elasticsearch_domain", "aws_glacier_vault",
        "aws_kinesis_stream", "aws_kinesis_firehose_delivery_stream", "aws_sqs_queue", "aws_sns_topic",
        "aws_msk_cluster", "aws_mq_broker", "aws_secretsmanager_secret", "aws_ssm_parameter",
        "aws_timestreamwrite_database", "aws_keyspaces_table", "aws_dax_cluster", "aws_qldb_ledger",
        "aws_ecr_repository", "aws_glue_catalog_database", "aws_lightsail_database", "aws_kms_key",
        "aws_fsx_lustre_file_system", "aws_fsx_windows_file_system", "aws_fsx_ontap_file_system",
        "aws_fsx_openzfs_file_system", "aws_s3tables_table_bucket",
        "azurerm_storage_account", "azurerm_mssql_server", "azurerm_mssql_database",
        "azurerm_mssql_managed_instance", "azurerm_postgresql_server", "azurerm_postgresql_flexible_server",
        "azurerm_mysql_server", "azurerm_mysql_flexible_server", "azurerm_mariadb_server",
        "azurerm_cosmosdb_account", "azurerm_redis_cache", "azurerm_managed_redis", "azurerm_key_vault",
        "azurerm_managed_disk", "azurerm_data_lake_store", "azurerm_servicebus_namespace",
        "azurerm_eventhub_namespace", "azurerm_container_registry", "azurerm_synapse_workspace",
        "azurerm_kusto_cluster", "azurerm_netapp_account", "azurerm_netapp_volume",
        "google_storage_bucket", "google_sql_database_instance", "google_bigquery_dataset",
        "google_bigquery_table", "google_spanner_instance", "google_bigtable_instance",
        "google_firestore_database", "google_filestore_instance", "google_redis_instance",
        "google_memcache_instance", "google_alloydb_cluster", "google_alloydb_instance", "google_compute_disk",
        "google_compute_region_disk", "google_pubsub_topic", "google_secret_manager_secret",
        "google_kms_key_ring", "google_artifact_registry_repository",
    ), _DATA_STORE),
    # ---- servers: where data is processed (listed for the reader: server is also the default)
    **dict.fromkeys((
        "aws_instance", "aws_autoscaling_group", "aws_launch_template", "aws_lambda_function",
        "aws_ecs_cluster", "aws_ecs_service", "aws_eks_cluster", "aws_eks_node_group", "aws_lightsail_instance",
        "aws_emr_cluster", "aws_batch_compute_environment", "aws_apprunner_service",
        "aws_elastic_beanstalk_environment",
        "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_virtual_machine",
        "azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set",
        "azurerm_linux_function_app", "azurerm_windows_function_app", "azurerm_function_app",
        "azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_app_service", "azurerm_service_plan",
        "azurerm_kubernetes_cluster", "azurerm_container_group", "azurerm_container_app",
        "google_compute_instance", "google_compute_instance_group_manager",
        "google_compute_region_instance_group_manager", "google_cloudfunctions_function",
        "google_cloudfunctions2_function", "google_cloud_run_service", "google_cloud_run_v2_service",
        "google_cloud_run_v2_job", "google_container_cluster", "google_container_node_pool",
        "google_app_engine_application",
    ), _SERVER),
    # ---- backups: copies of data, which the decree locates like the data itself
    **dict.fromkeys((
        "aws_backup_vault", "aws_backup_plan", "aws_db_snapshot", "aws_db_cluster_snapshot", "aws_ebs_snapshot",
        "aws_ebs_snapshot_copy", "aws_dlm_lifecycle_policy",
        "azurerm_recovery_services_vault", "azurerm_data_protection_backup_vault", "azurerm_backup_policy_vm",
        "azurerm_backup_protected_vm",
        "google_backup_dr_backup_vault", "google_backup_dr_backup_plan", "google_compute_snapshot",
    ), _BACKUP),
    # ---- management tools: logs, metrics, audit trails and automation about the systems
    **dict.fromkeys((
        "aws_cloudtrail", "aws_config_configuration_recorder", "aws_guardduty_detector",
        "aws_securityhub_account", "aws_grafana_workspace", "aws_prometheus_workspace",
        "azurerm_log_analytics_workspace", "azurerm_application_insights", "azurerm_automation_account",
        "azurerm_dashboard_grafana", "azurerm_sentinel_log_analytics_workspace_onboarding",
    ), _MANAGEMENT),
    # ---- admin interfaces: ways into the systems
    **dict.fromkeys((
        "aws_ec2_instance_connect_endpoint", "azurerm_bastion_host",
    ), _ADMIN),
    # ---- network: where traffic is carried, terminated or cached (a CDN edge decrypts traffic)
    **dict.fromkeys((
        "aws_lb", "aws_alb", "aws_elb", "aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_internet_gateway",
        "aws_api_gateway_rest_api", "aws_apigatewayv2_api", "aws_vpn_connection", "aws_dx_connection",
        "aws_networkfirewall_firewall", "aws_wafv2_web_acl",
        "azurerm_frontdoor", "azurerm_virtual_network", "azurerm_subnet", "azurerm_application_gateway",
        "azurerm_lb", "azurerm_public_ip", "azurerm_firewall", "azurerm_vpn_gateway",
        "azurerm_virtual_network_gateway", "azurerm_api_management", "azurerm_dns_zone",
        "azurerm_network_security_group",
        "google_compute_network", "google_compute_subnetwork", "google_compute_backend_bucket",
        "google_compute_backend_service", "google_compute_url_map", "google_compute_forwarding_rule",
        "google_compute_global_forwarding_rule", "google_compute_router", "google_compute_firewall",
        "google_dns_managed_zone", "google_compute_security_policy",
    ), _NETWORK),
}

#: Families of types, matched when the exact type is not in `KIND_BY_TYPE`; the longest prefix wins.
KIND_BY_PREFIX: dict[str, AssetKind] = {
    "aws_cloudwatch_": _MANAGEMENT,
    "aws_xray_": _MANAGEMENT,
    "azurerm_monitor_": _MANAGEMENT,
    "google_monitoring_": _MANAGEMENT,
    "google_logging_": _MANAGEMENT,
    "aws_cloudfront_": _NETWORK,
    "aws_route53_": _NETWORK,
    "aws_globalaccelerator_": _NETWORK,
    "azurerm_cdn_": _NETWORK,
    "azurerm_frontdoor_": _NETWORK,
    "google_compute_global_": _NETWORK,
    "aws_backup_": _BACKUP,
    "azurerm_backup_": _BACKUP,
    "azurerm_data_protection_": _BACKUP,
    "google_backup_dr_": _BACKUP,
}
_PREFIXES_LONGEST_FIRST = sorted(KIND_BY_PREFIX, key=len, reverse=True)

#: AWS resource families without a region (see the module docstring); `AWS_REGIONAL_EXCEPTIONS` wins.
AWS_GLOBAL_PREFIXES = (
    "aws_iam_", "aws_cloudfront_", "aws_route53_", "aws_route53domains_", "aws_organizations_",
    "aws_globalaccelerator_", "aws_waf_", "aws_shield_", "aws_budgets_", "aws_ce_", "aws_account_",
)
AWS_REGIONAL_EXCEPTIONS = ("aws_route53_resolver_",)  # Route 53 Resolver lives in a VPC, in a region


def asset_kind(resource_type: str) -> AssetKind:
    """The asset kind of a resource type: exact entry, else longest prefix, else server."""
    kind = KIND_BY_TYPE.get(resource_type)
    if kind is not None:
        return kind
    for prefix in _PREFIXES_LONGEST_FIRST:
        if resource_type.startswith(prefix):
            return KIND_BY_PREFIX[prefix]
    return _SERVER


def cloud_provider(provider_name: str) -> str | None:
    """The region-table key ('aws', 'azure', 'gcp') of a plan's `provider_name`, or None if not located here.

    `provider_name` is the fully-qualified source address (`registry.terraform.io/hashicorp/aws`); only the
    official providers count: a fork under another namespace may read `region` differently.
    """
    host, _, source = provider_name.partition("/")
    if host not in REGISTRY_HOSTS:
        return None
    return CLOUD_PROVIDERS.get(source)


def is_aws_global(resource_type: str) -> bool:
    if resource_type.startswith(AWS_REGIONAL_EXCEPTIONS):
        return False
    return resource_type.startswith(AWS_GLOBAL_PREFIXES)
