// Drives a real Apollo Client 4 (InMemoryCache) against the real server, which frontend_test.go
// starts and names in PAYGQL_URL with an admin token in PAYGQL_TOKEN. It shows that the setup
// of ../apollo.js (the one README.md shows) keeps the cache true for all four entities: a dry
// run never reaches the cache, a replayed idempotencyKey never takes it back in time, and
// relayStylePagination pages through the Relay connections with fetchMore.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { firstValueFrom } from "rxjs";
import { filter, tap } from "rxjs/operators";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";

import { createCache, dryRunOptions } from "../apollo.js";
import { operations } from "./documents.js";

const url = process.env.PAYGQL_URL;
const token = process.env.PAYGQL_TOKEN;

/** What the server last answered, before the cache saw it. */
let network;

function client(cache = createCache()) {
  const recorder = new ApolloLink((operation, forward) => forward(operation).pipe(tap((r) => (network = r))));
  return new ApolloClient({
    cache,
    link: ApolloLink.from([recorder, new HttpLink({ uri: `${url}/query`, headers: { Authorization: `Bearer ${token}` } })]),
  });
}

/** The entity in the server's last answer to a mutation. */
const answered = (type) => payload(network, type);

const unique = () => randomUUID().slice(0, 8).toUpperCase();
const customerId = "6f1c0000-0000-4000-8000-00000000000a";

/** Each entity: its operations, a create input, its key as the read query and the update take it, and a field to change. */
const entities = [
  {
    type: "ConnectorConfiguration",
    ops: operations("connector_configuration.graphql"),
    field: "name",
    create: () => ({ connectorId: "0b1e0000-0000-4000-8000-000000000001", name: "v1" }),
    key: (r) => ({ id: r.id }),
    updateKey: (r) => ({ id: r.id }),
  },
  {
    type: "CustomerPaymentGateway",
    ops: operations("customer_payment_gateway.graphql"),
    field: "displayName",
    create: () => ({ customerId, displayName: "v1" }),
    key: (r) => ({ customerId, id: r.id }),
    updateKey: (r) => ({ customerId, id: r.id }),
  },
  {
    type: "SubDealer",
    ops: operations("sub_dealer.graphql"),
    field: "name",
    create: () => {
      const code = `FE-${unique()}`;
      return {
        mainDealerCode: "NT65126658", code, erpCode: `ERP-${code}`, name: "v1", isIndividual: false,
        countryCode: "TR", taxNumber: "1234567890", taxOffice: "Kadıköy",
      };
    },
    key: (r) => ({ code: r.code }),
    updateKey: (r) => ({ updateCode: r.code }),
  },
  {
    type: "DevicePurchaseOrder",
    ops: operations("device_purchase_order.graphql"),
    field: "paymentType",
    create: () => ({
      dealerCode: "DLR-1001", paymentType: "v1",
      items: [{ quantity: 2, amount: "4250.00", currency: "TRY",
        product: { gatewayCountryProductId: "TR-MOVE5000", name: "Ingenico Move/5000", orderable: "true", status: "ACTIVE" } }],
    }),
    key: (r) => ({ dealerCode: r.dealerCode, uuid: r.uuid }),
    updateKey: (r) => ({ dealerCode: r.dealerCode, uuid: r.uuid }),
  },
];

/** The payload of a mutation's only root field, checked for userErrors. */
function payload(result, type) {
  const [p] = Object.values(result.data);
  assert.deepEqual(p.userErrors, [], `${type}: userErrors`);
  return p[type[0].toLowerCase() + type.slice(1)];
}

before(() => {
  assert.ok(url && token, "PAYGQL_URL and PAYGQL_TOKEN name the server (frontend_test.go sets them)");
});

for (const e of entities) {
  const { ops, type, field } = e;
  const read = ops[type];
  const update = ops[`Update${type}`];

  describe(type, () => {
    let apollo, record;
    const root = read.definitions[0].selectionSet.selections[0].name.value;
    /** The record as the cache shows it to the read query, without asking the server. */
    const cached = () => apollo.readQuery({ query: read, variables: e.key(record) })[root];
    const mutate = (input, options = {}) =>
      apollo.mutate({ mutation: update, variables: { input: { ...e.updateKey(record), ...input } }, ...options });

    before(async () => {
      apollo = client();
      const created = await apollo.mutate({ mutation: ops[`Create${type}`], variables: { input: e.create() } });
      record = payload(created, type);
      assert.equal(record.__typename, type);
      assert.equal(record.version, 1);
      if (record.uuid) assert.equal(record.id, record.uuid, "an order's id is its uuid");
      const { data } = await apollo.query({ query: read, variables: e.key(record) });
      assert.equal(Object.values(data)[0].version, 1);
    });

    test("a dry run leaves the cache at the committed record", async () => {
      const dry = await mutate({ [field]: "DRYRUN", dryRun: true }, dryRunOptions);
      const preview = payload(dry, type);
      // The server answered with the would-be record: same id and typename, next version.
      assert.equal(preview.id, record.id);
      assert.equal(preview.__typename, type);
      assert.equal(preview.version, record.version + 1);
      assert.equal(preview[field], "DRYRUN");
      const shown = cached();
      assert.equal(shown.version, record.version);
      assert.equal(shown[field], "v1");
      // …and committed nothing.
      const { data } = await apollo.query({ query: read, variables: e.key(record), fetchPolicy: "network-only" });
      assert.equal(Object.values(data)[0].version, record.version);
    });

    test("a replayed idempotencyKey does not take the cache back in time", async () => {
      const key = randomUUID();
      const first = payload(await mutate({ [field]: "v2", idempotencyKey: key }), type);
      assert.equal(first.version, 2);
      const newer = payload(await mutate({ [field]: "v3" }), type);
      assert.equal(newer.version, 3);
      assert.equal(cached().version, 3);
      // The server answers the retry with the first result, version 2 …
      const replay = payload(await mutate({ [field]: "v2", idempotencyKey: key }), type);
      assert.equal(answered(type).version, 2);
      assert.equal(answered(type)[field], "v2");
      // … and the cache keeps version 3 (Apollo 4 returns the mutation's data as the cache
      // holds it, so the caller sees version 3 too).
      const shown = cached();
      assert.equal(shown.version, 3);
      assert.equal(shown[field], "v3");
      assert.equal(replay.version, 3);
      // A newer version still replaces it.
      payload(await mutate({ [field]: "v4" }), type);
      assert.equal(cached()[field], "v4");
      assert.equal(cached().version, 4);
    });

    test("without the setup the cache would go back (the problem it solves)", async () => {
      const plain = client(new InMemoryCache());
      const key = randomUUID();
      const mut = (input) => plain.mutate({ mutation: update, variables: { input: { ...e.updateKey(record), ...input } } });
      await mut({ [field]: "v5", idempotencyKey: key });
      const older = answered(type).version;
      await mut({ [field]: "v6" });
      assert.equal(answered(type).version, older + 1);
      await mut({ [field]: "v5", idempotencyKey: key });
      assert.equal(answered(type).version, older);
      const ref = plain.cache.identify({ __typename: type, id: record.id });
      assert.equal(plain.cache.extract()[ref].version, older, "Apollo's default merge writes the older replay over the newer record");
    });
  });
}

describe("relayStylePagination", () => {
  test("fetchMore appends the pages of a Relay connection, in the order asked for", async () => {
    const { SubDealers, CreateSubDealer } = operations("sub_dealer.graphql");
    const apollo = client();
    const tag = `PG${unique()}`;
    const names = ["Ankara", "Bursa", "Çorum", "Denizli", "Edirne"].map((n) => `${n} ${tag}`);
    for (const [i, name] of names.entries()) {
      const code = `${tag}-${i}`;
      payload(await apollo.mutate({ mutation: CreateSubDealer, variables: { input: {
        mainDealerCode: "NT65126658", code, erpCode: `ERP-${code}`, name, isIndividual: false,
        countryCode: "TR", taxNumber: "1234567890", taxOffice: "Kadıköy" } } }), "SubDealer");
    }
    const variables = { first: 2, search: tag.toLowerCase(), orderBy: { field: "CODE", direction: "DESC" } };
    const watched = apollo.watchQuery({ query: SubDealers, variables });
    let result = await firstValueFrom(watched.pipe(filter((r) => !r.loading)));
    const firstPage = result.data.subDealers;
    let pages = 1;
    while (result.data.subDealers.pageInfo.hasNextPage) {
      await watched.fetchMore({ variables: { after: result.data.subDealers.pageInfo.endCursor } });
      result = watched.getCurrentResult();
      pages++;
    }
    assert.equal(firstPage.edges.length, 2);
    assert.equal(firstPage.pageInfo.hasPreviousPage, false);
    assert.equal(pages, 3);
    const { edges, pageInfo } = result.data.subDealers;
    assert.deepEqual(edges.map((ed) => ed.node.name), [...names].reverse());
    assert.equal(new Set(edges.map((ed) => ed.cursor)).size, 5);
    assert.equal(pageInfo.hasNextPage, false);
    assert.equal(pageInfo.hasPreviousPage, false);
    assert.equal(pageInfo.startCursor, edges[0].cursor);
    assert.equal(pageInfo.endCursor, edges[4].cursor);
    // Another order is another list in the cache, not mixed into this one.
    const other = await apollo.query({ query: SubDealers, variables: { ...variables, orderBy: { field: "NAME", direction: "ASC" } } });
    assert.deepEqual(other.data.subDealers.edges.map((ed) => ed.node.name), names.slice(0, 2));
    assert.equal(watched.getCurrentResult().data.subDealers.edges.length, 5);
  });
});

test("an older copy in a list page does not take the cache back when read through edges", () => {
  // A slow list answer can arrive after a newer update; the server cannot be made to send
  // one on purpose, so this writes it into the cache as Apollo would.
  const cache = createCache();
  const one = gql`query { subDealer(code: "A") { id version name } }`;
  cache.writeQuery({ query: one, data: { subDealer: { __typename: "SubDealer", id: "1", version: 3, name: "three" } } });
  const page = gql`query { subDealers(first: 1) { edges { cursor node { id version name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
  cache.writeQuery({ query: page, data: { subDealers: { __typename: "SubDealerConnection",
    edges: [{ __typename: "SubDealerEdge", cursor: "c", node: { __typename: "SubDealer", id: "1", version: 2, name: "two" } }],
    pageInfo: { __typename: "PageInfo", hasNextPage: false, hasPreviousPage: false, startCursor: "c", endCursor: "c" } } } });
  assert.deepEqual(cache.readQuery({ query: one }).subDealer, { __typename: "SubDealer", id: "1", version: 3, name: "three" });
});
