// CloudFront Function (cloudfront-js-2.0), viewer request, on the console distribution's default
// (S3) behaviour only. Single-page-app routing: a path whose last segment has no file extension is a
// client-side route (/tenants/123) and gets the app shell, /index.html; files (/assets/index-3f2a.js,
// /config.json) pass through unchanged. The API's paths have their own behaviours and never reach
// this one; they are left alone here as well, so an API 404 can never become the app shell.
// Plain JavaScript, no imports: CloudFront runs this file as it is (test/infra/console-stack.test.ts
// runs it in Node against sample events).
const apiPrefixes = ['/v1/', '/admin/'];

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls `handler` by name.
function handler(event) {
  const request = event.request;
  const uri = request.uri;
  if (apiPrefixes.some((prefix) => uri.startsWith(prefix))) return request;
  const lastSegment = uri.slice(uri.lastIndexOf('/') + 1);
  if (!lastSegment.includes('.')) request.uri = '/index.html';
  return request;
}
