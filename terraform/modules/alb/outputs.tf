output "alb_arn" {
  description = "ARN of the load balancer (the WAF web ACL is associated with it)."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer, for CloudWatch metrics and the ALBRequestCountPerTarget scaling label."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the load balancer, for alias records."
  value       = aws_lb.this.zone_id
}

output "security_group_id" {
  description = "Security group of the load balancer; the tasks accept traffic from it only."
  value       = aws_security_group.alb.id
}

output "target_group_arn" {
  description = "ARN of the target group the ECS service registers its tasks in."
  value       = aws_lb_target_group.app.arn

  # ECS refuses a target group that no listener uses yet; consumers of this
  # output therefore wait for the HTTPS listener.
  depends_on = [aws_lb_listener.https]
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group, for the ALBRequestCountPerTarget scaling label."
  value       = aws_lb_target_group.app.arn_suffix
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener. The service depends on it so the target group is attached before tasks register."
  value       = aws_lb_listener.https.arn
}
