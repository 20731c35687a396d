/**
 * synack's Node-only API: real `stream.Duplex` sockets over the userspace stack, and stacks driven
 * by the host's clock. (Browser code imports `synack` instead.)
 */
export { NodeNet, NodeSocket, NodeServer, RealtimePair, createNodeStack, runRealtime, CryptoRandom } from './stack/node.js';
