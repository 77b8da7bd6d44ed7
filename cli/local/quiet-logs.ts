// Imported first by the CLI: handler logs are structured JSON for CloudWatch; at a terminal only
// warnings and errors are worth showing. Set POWERTOOLS_LOG_LEVEL=INFO to see every step.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

export {};
