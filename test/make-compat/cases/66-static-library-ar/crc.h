#define CRC_POLY 0xedb88320UL
