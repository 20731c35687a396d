/**
 * The transfer matrix (issue 4): seeded simulated transfers over every combination of loss
 * (0/1/5/20%), link fault (none, reordering, duplication, corruption through the codec's checksum,
 * all of them) and one-way delay (0/10/100 ms), each cell drawing its bandwidth limit, buffer
 * sizes, TCP options, congestion controller, RTO floor and traffic shape from its seed. In every
 * cell every byte must arrive once, in order and intact (SHA-256 of what was sent against what was
 * read, both ways), and both ends must close cleanly (B 'closed', A in TIME-WAIT or 'closed').
 *
 * CI runs six seeds per combination (360 cells); SYNACK_LONG=1 runs the full cross product with
 * bandwidth, buffers and options as axes too, three seeds each (4,860 cells). A failing cell's name
 * is all it takes to replay it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cellFor, cellName, matrixCells } from '../harness/matrix.js';
import { runTransfer, transferProblem } from '../harness/transfer.js';

const LONG = process.env['SYNACK_LONG'] === '1';

describe(`transfer matrix (${LONG ? 'long' : 'CI'} mode): every byte once, in order, intact; clean close`, () => {
  for (const axes of matrixCells(LONG)) {
    const cell = cellFor(axes);
    test(cellName(axes, cell), () => {
      const outcome = runTransfer(cell);
      const problem = transferProblem(cell, outcome);
      assert.equal(problem, undefined, problem);
    });
  }
});
