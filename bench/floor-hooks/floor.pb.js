// @ts-nocheck (PocketBase JSVM globals; not part of the type-checked bench code)
// Diagnostic server only (never the baseline): the cheapest possible JS login hook. Comparing
// it with the baseline separates what PocketBase charges for running any JSVM login handler
// from the work the extension's handler does.
onRecordAuthWithOAuth2Request((e) => {
  e.next();
}, "users");
