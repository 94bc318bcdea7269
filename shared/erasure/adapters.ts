import {
  AdminDeleteUserCommand,
  type CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type Stripe from 'stripe';
import type { ExportArchiveEraser, StripeCustomerEraser, UserPoolEraser } from './erasure.ports.ts';

/** AdminDeleteUser on the stage's pool. */
export function createCognitoUserEraser(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
): UserPoolEraser {
  return {
    async deleteUser(userId) {
      try {
        await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: userId }));
        return true;
      } catch (error) {
        if (error instanceof UserNotFoundException) return false;
        throw error;
      }
    },
  };
}

/** DELETE /v1/customers/{id} through the billing Stripe client; Stripe's 404 means already deleted. */
export function createStripeCustomerEraser(stripe: () => Promise<Stripe>): StripeCustomerEraser {
  return {
    async deleteCustomer(customerId) {
      const client = await stripe();
      try {
        await client.customers.del(customerId);
        return true;
      } catch (error) {
        if (error instanceof client.errors.StripeError && error.code === 'resource_missing') return false;
        throw error;
      }
    },
  };
}

/** Lists and deletes a prefix of the exports bucket, a page (up to 1,000 keys) at a time. */
export function createS3ExportEraser(client: S3Client, bucket: string): ExportArchiveEraser {
  return {
    async deletePrefix(prefix) {
      let deleted = 0;
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
        const objects = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
        if (objects.length === 0) return deleted;
        const result = await client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
        );
        if (result.Errors && result.Errors.length > 0) {
          throw new Error(`S3 refused to delete ${result.Errors.length} export object(s) under ${prefix}.`);
        }
        deleted += objects.length;
      }
    },
  };
}
