"""Monitoring views in the Application Insights manner: failures, performance, transactions, application map."""
