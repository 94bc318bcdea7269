import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/**
 * A UTC day, `YYYY-MM-DD` (a calendar day: zod checks month lengths and leap years). A module of
 * its own so that the product analytics schemas use it without building the metrics API's.
 */
export const daySchema = /* @__PURE__ */ lazyValue(() => z.iso.date());
