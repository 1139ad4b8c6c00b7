// Drives a real Apollo Client 4 with GraphQLWsLink (graphql-ws, the graphql-transport-ws
// protocol) against the real server, which frontend_test.go starts with subscriptions on: the
// link setup README.md shows receives a change committed over HTTP, the order's new version
// lands in the normalized cache, and resubscribing with the last cursor misses nothing.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { ApolloClient, HttpLink, InMemoryCache, gql, split } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const url = process.env.PAYGQL_URL;
const token = process.env.PAYGQL_TOKEN;

let connected;
const ready = new Promise((resolve) => (connected = resolve));
const ws = createClient({
  url: `${url.replace(/^http/, "ws")}/query`,
  webSocketImpl: WebSocket,
  connectionParams: async () => ({ Authorization: `Bearer ${token}` }),
  on: { connected: () => connected() },
});
after(() => ws.dispose());

const link = split(
  ({ query }) => {
    const def = getMainDefinition(query);
    return def.kind === "OperationDefinition" && def.operation === "subscription";
  },
  new GraphQLWsLink(ws),
  new HttpLink({ uri: `${url}/query`, headers: { Authorization: `Bearer ${token}` } }),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });

const changed = gql`
  subscription ($dealerCode: String, $after: String) {
    devicePurchaseOrderChanged(dealerCode: $dealerCode, after: $after) {
      cursor action version changedFields
      devicePurchaseOrder { id version shippingMethodGatewayId }
    }
  }
`;
const create = gql`
  mutation ($input: CreateDevicePurchaseOrderInput!) {
    createDevicePurchaseOrder(input: $input) { devicePurchaseOrder { id version } userErrors { field code } }
  }
`;
const update = gql`
  mutation ($input: UpdateDevicePurchaseOrderInput!) {
    updateDevicePurchaseOrder(input: $input) { devicePurchaseOrder { id version } userErrors { field code } }
  }
`;

/** Collects a subscription's events; next() waits for the next one. */
function listen(variables) {
  const events = [];
  const waiting = [];
  const sub = client.subscribe({ query: changed, variables }).subscribe({
    next: ({ data, error }) => {
      assert.equal(error, undefined);
      events.push(data.devicePurchaseOrderChanged);
      waiting.shift()?.();
    },
  });
  return {
    sub,
    async next() {
      while (events.length === 0) {
        await new Promise((resolve, reject) => {
          waiting.push(resolve);
          setTimeout(() => reject(new Error("no event within 10 s")), 10000).unref();
        });
      }
      return events.shift();
    },
  };
}

test("GraphQLWsLink hears of changes, updates the cache and resumes from a cursor", async () => {
  const dealerCode = `DLR-${randomUUID().slice(0, 6).toUpperCase()}`;
  const first = listen({ dealerCode });
  await ready;
  await new Promise((r) => setTimeout(r, 300)); // the subscription starts at the feed's head
  const item = { quantity: 1, amount: "4250.00", currency: "TRY", product: {
    gatewayCountryProductId: "TR-MOVE5000", amount: "4250.00", currency: "TRY", country: "TR",
    orderable: "true", name: "Ingenico Move/5000", status: "ACTIVE",
    gatewayProduct: { gatewayId: "GW-PAYTR", status: "ACTIVE", type: "POS_DEVICE", id: "gp-TR-MOVE5000" } } };
  const { data } = await client.mutate({ mutation: create, variables: { input: { dealerCode, items: [item] } } });
  const order = data.createDevicePurchaseOrder.devicePurchaseOrder;
  assert.ok(order, JSON.stringify(data));
  const created = await first.next();
  assert.equal(created.action, "CREATE");
  assert.equal(created.devicePurchaseOrder.id, order.id);

  for (const ship of ["SHIP-1", "SHIP-2"]) {
    const res = await client.mutate({ mutation: update, variables: { input: { dealerCode, uuid: order.id, shippingMethodGatewayId: ship } } });
    assert.deepEqual(res.data.updateDevicePurchaseOrder.userErrors, []);
  }
  const v2 = await first.next();
  const v3 = await first.next();
  assert.deepEqual([v2.version, v3.version], [2, 3]);
  assert.deepEqual(v2.changedFields, ["shippingMethodGatewayId"]);
  // The delivered order is normalized: the cache holds its latest version.
  const cached = client.cache.readFragment({ id: `DevicePurchaseOrder:${order.id}`, fragment: gql`fragment O on DevicePurchaseOrder { version shippingMethodGatewayId }` });
  assert.equal(cached.version, 3);
  assert.equal(cached.shippingMethodGatewayId, "SHIP-2");
  first.sub.unsubscribe();

  // Resubscribing after the create's cursor gets versions 2 and 3 again, nothing else.
  const again = listen({ dealerCode, after: created.cursor });
  assert.deepEqual([(await again.next()).version, (await again.next()).version], [2, 3]);
  again.sub.unsubscribe();
});
