#!/usr/bin/env node
// Committed launcher (executable in git) so `npx porthole` works before and after a rebuild.
import '../dist/bin.js';
