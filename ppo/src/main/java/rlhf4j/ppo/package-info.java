/** rlhf4j ppo module. */
package rlhf4j.ppo;
