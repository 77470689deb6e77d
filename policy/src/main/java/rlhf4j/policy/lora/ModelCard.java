package rlhf4j.policy.lora;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import rlhf4j.policy.io.AtomicFiles;

/** A short {@code README.md} model card for an adapter folder the CLI writes (as PEFT does). */
public final class ModelCard {
  /** The card's file name. */
  public static final String FILE = "README.md";

  private ModelCard() {}

  /**
   * Writes the card into {@code dir}.
   *
   * @param base the base model ({@code base_model_name_or_path})
   * @param how how the adapter was trained, one line ("PPO, 30 steps, reward regex {...}")
   * @param lora the adapter's configuration
   * @param version the rlhf4j version that trained it
   */
  public static void write(Path dir, String base, String how, LoraConfig lora, String version)
      throws IOException {
    List<String> targets = lora.targetModules() == null ? List.of() : lora.targetModules();
    String text =
        """
        ---
        base_model: %s
        library_name: peft
        tags: [lora, rlhf4j]
        ---
        # LoRA adapter

        Trained with rlhf4j %s: %s.

        - base model: `%s`
        - LoRA: r %d, lora_alpha %s, target modules %s

        Load it in Python with `PeftModel.from_pretrained(base_model, "%s")`, or merge it into the
        base with `rlhf4j merge --model BASE_DIR --adapter %s --out MERGED_DIR`.
        """
            .formatted(
                base,
                version,
                how,
                base,
                lora.r(),
                lora.loraAlpha(),
                targets.isEmpty() ? "(the family's defaults)" : targets,
                dir.getFileName(),
                dir);
    AtomicFiles.writeString(dir.resolve(FILE), text);
  }
}
