/**
 * YAML config files of the commands: {@link rlhf4j.cli.config.ConfigFile} reads the sections
 * (parsed safely by {@code YamlTree}: SnakeYAML into Gson trees), {@link
 * rlhf4j.cli.config.ConfigBinder} binds keys onto the library's own config builders (one config per
 * concept, validated once by the library's records), {@link rlhf4j.cli.config.KeyNames} suggests
 * the closest valid key for a typo or a renamed key.
 */
package rlhf4j.cli.config;
