	.text
	.globl twice
twice:
	lea (%rdi,%rdi), %rax
#if TWICE != 2
#error TWICE
#endif
	ret
	.section .note.GNU-stack,"",@progbits
