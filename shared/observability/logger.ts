import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per container; handlers append request, tenant and user ids per request. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'plinth' });
