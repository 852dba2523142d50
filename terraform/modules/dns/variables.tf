variable "zone_id" {
  description = "ID of the existing Route 53 public hosted zone that holds domain_name."
  type        = string

  validation {
    condition     = can(regex("^[A-Z0-9]{1,32}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone ID (upper-case letters and digits, without the /hostedzone/ prefix)."
  }
}

variable "domain_name" {
  description = "Fully qualified name the service answers on, for example quest.dev.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase fully qualified domain name without a trailing dot."
  }
}

variable "subject_alternative_names" {
  description = "Additional names on the certificate (each also gets an alias record)."
  type        = list(string)
  default     = []
}

variable "alb_dns_name" {
  description = "DNS name of the load balancer the records point at."
  type        = string
}

variable "alb_zone_id" {
  description = "Route 53 zone ID of the load balancer (for alias records)."
  type        = string
}
