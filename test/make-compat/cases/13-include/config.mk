CONFIG := from-config
LOCAL_MADE := $(BEFORE)-seen

generated.txt:
	echo '$(CONFIG)' > $@
