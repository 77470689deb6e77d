/**
 * Rule-based rewards. Short names for {@link rlhf4j.reward.RewardFunctions#load(String,
 * java.util.Map)} and their options (all values are strings):
 *
 * <ul>
 *   <li>{@code regex}: {@code pattern} (required), {@code mode} = find|full (find), {@code match}
 *       (1.0), {@code miss} (0.0), {@code ignoreCase} (false), {@code dotall} (false).
 *   <li>{@code length}: {@code target} (required, &ge; 0), {@code unit} = chars|tokens (chars),
 *       {@code scale} (1.0); score {@code -scale * |length - target|}.
 *   <li>{@code keyword}: {@code keywords} (required, comma-separated), {@code mode} =
 *       fraction|any|all (fraction), {@code ignoreCase} (true).
 * </ul>
 *
 * <p>{@link rlhf4j.reward.builtin.WeightedSumReward} and {@link
 * rlhf4j.reward.builtin.MissingEosPenalty} wrap other rewards and are built in code.
 */
package rlhf4j.reward.builtin;
