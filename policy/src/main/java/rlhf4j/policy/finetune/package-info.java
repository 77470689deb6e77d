/**
 * Fine-tuning modes behind one interface, {@link rlhf4j.policy.finetune.Finetuning}: full, layer
 * freezing (last N blocks) and LoRA, each returning the trainable arrays by name.
 */
package rlhf4j.policy.finetune;
