/**
 * Test support shared by every module's tests (test scope only): the golden HuggingFace/PEFT/TRL
 * fixtures ({@link rlhf4j.testing.Fixtures}), float-array comparisons ({@link
 * rlhf4j.testing.FloatArrays}) and local TCP ports for tests that start servers ({@link
 * rlhf4j.testing.LocalPorts}). Depends on no rlhf4j module, so policy's tests can use it.
 */
package rlhf4j.testing;
