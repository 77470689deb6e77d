/**
 * Random initialisation: {@link rlhf4j.policy.model.init.RandomInit}, the one seeded Box-Muller
 * normal generator (Java-side, the same on every machine). Depends on DJL only.
 */
package rlhf4j.policy.model.init;
