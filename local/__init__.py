"""Local mode: the same handlers, models and JWT checks, served over real HTTP with
AWS services from moto (in-process) and a local OIDC issuer backed by moto Cognito."""
