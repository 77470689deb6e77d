/**
 * Chat templates: a model's {@code tokenizer_config.json} {@code chat_template} (Jinja) rendered as
 * transformers' {@code apply_chat_template} renders it ({@link rlhf4j.policy.chat.ChatTemplate}, on
 * Jinjava), for instruct models' prompts and conversational data.
 */
package rlhf4j.policy.chat;
