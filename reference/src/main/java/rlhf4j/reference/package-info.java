/** rlhf4j reference module. */
package rlhf4j.reference;
