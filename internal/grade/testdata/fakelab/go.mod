module fakelab

go 1.25
