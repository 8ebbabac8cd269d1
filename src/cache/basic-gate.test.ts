// The basic gate (verification off) against the shared integrity gate compliance suite.
import { createBasicGate } from './basic-gate.js';
import { runIntegrityGateCompliance } from './integrity-gate-compliance.js';

runIntegrityGateCompliance('basic', () => Promise.resolve({ gate: createBasicGate(), cleanup: () => Promise.resolve() }), { verifies: false });
