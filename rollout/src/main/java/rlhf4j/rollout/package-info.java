/** rlhf4j rollout module. */
package rlhf4j.rollout;
