variable "name" {
  description = "Name prefix for every resource of the network, for example quest-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC. It is split into two public and two private subnets (each a /4 larger prefix)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be a valid IPv4 CIDR block of /24 or larger."
  }
}

variable "availability_zones" {
  description = "Exactly two availability zones to spread the subnets over, for example [\"us-east-1a\", \"us-east-1b\"]."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 2 && length(distinct(var.availability_zones)) == 2
    error_message = "availability_zones must list exactly two distinct zones."
  }
}

variable "interface_endpoint_services" {
  description = "Services reached through interface VPC endpoints from the private subnets (the tasks have no route to the internet). The S3 gateway endpoint is always created: ECR stores image layers in S3."
  type        = set(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "ssm"]

  validation {
    condition     = alltrue([for s in var.interface_endpoint_services : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoint_services must be short service names such as ecr.api or logs."
  }
}

variable "flow_logs" {
  description = "VPC flow logs to CloudWatch Logs. The log group is encrypted with kms_key_arn."
  type = object({
    enabled        = optional(bool, true)
    traffic_type   = optional(string, "ALL")
    retention_days = optional(number, 365)
  })
  default = {}

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs.traffic_type)
    error_message = "flow_logs.traffic_type must be ACCEPT, REJECT or ALL."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs.retention_days)
    error_message = "flow_logs.retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow-log group. Its key policy must allow the CloudWatch Logs service of this region."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}
