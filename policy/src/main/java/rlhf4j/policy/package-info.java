/** rlhf4j policy module. */
package rlhf4j.policy;
