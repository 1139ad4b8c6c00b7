// Compiled with `tsc --noEmit --strict` against the types graphql-codegen generates from the
// schema and operations/: it fails when a scalar comes out as `any` or `unknown`, or a field a
// front-end reads is missing or typed differently.
import type {
  ConnectorConfigurationQuery,
  CustomerPaymentGatewayQuery,
  DevicePurchaseOrderQuery,
  SubDealersQuery,
  UpdateSubDealerMutationVariables,
  ConnectorConfigurationOrderField,
  OrderDirection,
} from "./generated/graphql";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

type Config = NonNullable<ConnectorConfigurationQuery["connectorConfiguration"]>;
expectType<Equals<Config["id"], string>>();
expectType<Equals<Config["updatedAt"], string>>();
expectType<Equals<Config["extraPropertiesDict"], Record<string, unknown>>>();
expectType<Equals<Config["version"], number>>();

type Gateway = NonNullable<CustomerPaymentGatewayQuery["customerPaymentGateway"]>;
expectType<Equals<Gateway["minPaymentAmount"], string | null | undefined>>();

type Order = NonNullable<DevicePurchaseOrderQuery["devicePurchaseOrder"]>;
expectType<Equals<Order["id"], string>>();
expectType<Equals<Order["uuid"], string>>();
expectType<Equals<Order["total"], string>>();

type Edge = SubDealersQuery["subDealers"]["edges"][number];
expectType<Equals<Edge["cursor"], string>>();
expectType<Equals<SubDealersQuery["subDealers"]["pageInfo"]["hasPreviousPage"], boolean>>();
expectType<Equals<SubDealersQuery["subDealers"]["pageInfo"]["startCursor"], string | null | undefined>>();

expectType<Equals<ConnectorConfigurationOrderField, "CREATED_AT" | "NAME" | "UPDATED_AT">>();
expectType<Equals<OrderDirection, "ASC" | "DESC">>();

/** What a sub-dealer table shows of a page: code, name and when it last changed. */
export function rows(data: SubDealersQuery): { cursor: string; code: string; name: string; changed: Date }[] {
  return data.subDealers.edges.map(({ cursor, node }) => ({
    cursor,
    code: node.code,
    name: node.name,
    changed: new Date(node.updatedAt),
  }));
}

/** A rename as a form sends it: only the fields that change, with the concurrency guard. */
export const rename: UpdateSubDealerMutationVariables = {
  input: { updateCode: "SD-1", name: "Kadıköy Bayi", expectedVersion: 3, dryRun: true },
};

/** Money stays a string: the total of two orders, added exactly in cents. */
export function sumCents(a: Order, b: Order): bigint {
  const cents = (d: string) => BigInt(d.replace(".", ""));
  return cents(a.total) + cents(b.total);
}
