/**
 * Monaco (GraphiQL's editor) runs its language services in web workers. They are bundled next to
 * the IDE's script and served by this server: nothing is fetched from a CDN.
 */
const ASSETS = new URL('.', document.currentScript.src);
const WORKERS = { json: 'json.worker.js', graphql: 'graphql.worker.js' };

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    return new Worker(new URL(WORKERS[label] ?? 'editor.worker.js', ASSETS));
  },
};
