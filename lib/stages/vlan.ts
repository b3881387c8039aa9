/**
 * Link-layer stage: finds VLAN ids and the network-layer header of every
 * frame once, so later stages (direction) read the l3Offset / etherType
 * columns instead of re-parsing Ethernet, 802.1Q, QinQ or Linux SLL themselves.
 */
import { decodeLinkLayer } from '../proto/ethernet.js';
import type { Batch } from '../packet.js';
import type { BatchFn } from './batch-stage.js';

export const vlanDecodeBatch: BatchFn = (batch: Batch): void => {
  for (let i = 0; i < batch.length; i++) decodeLinkLayer(batch, i);
};
