/** rlhf4j reward module. */
package rlhf4j.reward;
