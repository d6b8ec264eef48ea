// The API rules the README recommends. The end-to-end tests run these exact
// strings, and test/unit/docs/readme.test.ts checks that the README shows them.
export const EDITORS_ONLY = '@request.auth.memberOf.name ?= "editors"';
// `?=` alone does not match on the auth record's multi-select; `:each ?=` means "any item equals".
export const ADMIN_ROLE_ONLY = '@request.auth.roles:each ?= "admin"';
