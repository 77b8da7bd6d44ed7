// Runs before every test file (vitest `setupFiles`).
import './matchers.js';
