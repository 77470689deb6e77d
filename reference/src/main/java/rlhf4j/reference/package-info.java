/**
 * The reference model of RLHF: adapters switched off (a fresh adapter), a frozen copy of a
 * pre-trained adapter as adapter "ref" ({@link rlhf4j.reference.RefAdapterReference}), or a frozen
 * copy of the whole model.
 */
package rlhf4j.reference;
