import { Connection } from '@temporalio/client';
import { startDevServer } from '../../src/temporal/devServer';
import { registerSearchAttributes } from '../../src/temporal/registerSearchAttributes';

/** On a Temporal server Klaxon did not start (TEMPORAL_ADDRESS), its search attributes are registered at start. */
test('search attributes are registered on an external server once, idempotently', async () => {
  const server = await startDevServer({ searchAttributes: false });
  const connection = await Connection.connect({ address: server.address });
  try {
    const before = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(before.customAttributes ?? {})).not.toContain('KlaxonTenant');
    expect((await registerSearchAttributes(connection, 'default')).sort()).toEqual(['KlaxonAlertName', 'KlaxonService', 'KlaxonSeverity', 'KlaxonStatus', 'KlaxonTenant']);
    const after = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(after.customAttributes ?? {})).toEqual(expect.arrayContaining(['KlaxonTenant', 'KlaxonStatus']));
    expect(await registerSearchAttributes(connection, 'default')).toEqual([]);
  } finally {
    await connection.close();
    await server.stop();
  }
});
