output "certificate_arn" {
  description = "ARN of the validated certificate (available once validation has completed)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "fqdns" {
  description = "Names that point at the load balancer."
  value       = [for r in aws_route53_record.alias : r.fqdn]
}
