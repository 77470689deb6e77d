/** The reference model of RLHF: adapters switched off, or a frozen copy. */
package rlhf4j.reference;
