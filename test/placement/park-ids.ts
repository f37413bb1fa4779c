import type { GraphQLResponse, TestServer } from '../support/server.js';

/** Every park id of texas, page after page, as alice reads them. */
export async function allParkIds(server: TestServer): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: GraphQLResponse<{
      parks: { nodes: Array<{ id: string }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    }> = await server.as(
      'alice@example.com',
      'query($after: String) { parks(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
      { variables: { after }, tenant: 'texas' },
    );
    ids.push(...page.data!.parks.nodes.map((park) => park.id));
    if (!page.data!.parks.pageInfo.hasNextPage) return ids;
    after = page.data!.parks.pageInfo.endCursor;
  }
}
