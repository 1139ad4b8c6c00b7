// The Apollo Client setup that keeps a normalized cache true to what the server committed.
// README.md ("From a front-end app") shows this file; test/apollo.test.js runs it against the
// real server.
import { InMemoryCache } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";

/** The four entities: each has `id` (what the cache keys on) and `version` (+1 per commit). */
export const entityTypes = ["ConnectorConfiguration", "CustomerPaymentGateway", "SubDealer", "DevicePurchaseOrder"];

/**
 * keepNewer keeps the cached entity when a response carries an older version of it: a retry
 * with a used `idempotencyKey` returns the first (older) result, and a slow response can
 * arrive after a newer one. A copy without `version` merges as usual.
 *
 * @type {import("@apollo/client").FieldMergeFunction}
 */
function keepNewer(existing, incoming, { readField, mergeObjects }) {
  const cached = readField("version", existing);
  const arriving = readField("version", incoming);
  if (typeof cached === "number" && typeof arriving === "number" && arriving < cached) {
    return existing;
  }
  return mergeObjects(existing, incoming);
}

/** @type {import("@apollo/client").TypePolicies} */
export const typePolicies = {
  Query: {
    fields: {
      // Relay connections: pages fetched with `after` are appended; the filters, the search
      // and the order name separate lists.
      connectorConfigurations: relayStylePagination(["connectorId", "isActive", "search", "orderBy"]),
      subDealers: relayStylePagination(["mainDealerCode", "search", "orderBy"]),
      devicePurchaseOrders: relayStylePagination(["dealerCode", "status", "search", "orderBy"]),
    },
  },
  ...Object.fromEntries(
    entityTypes.map((type) => [
      type,
      {
        merge: keepNewer,
        // Apollo runs a type's merge on the entity itself only when one of its fields has a
        // merge function too (apollographql/apollo-client#9502); this one changes nothing.
        fields: { version: { merge: (_existing, incoming) => incoming } },
      },
    ]),
  ),
};

/** A cache with typePolicies. */
export function createCache() {
  return new InMemoryCache({ typePolicies });
}

/**
 * The options of a dry run (`input.dryRun: true`): its payload is the would-be record with
 * the real `id` and a would-be `version`, a preview that must never be written to the cache.
 */
export const dryRunOptions = /** @type {const} */ ({ fetchPolicy: "no-cache" });
