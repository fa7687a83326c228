export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __klaxonDevServer?: { stop(): Promise<void> } }).__klaxonDevServer?.stop();
}
